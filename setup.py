from setuptools import setup, find_packages
import setuptools, shlex
import configparser

# Written by hand from nbdev's template (nbdev_new needs GitHub); the template's parse_version
# check is dropped because setuptools>=82 has no pkg_resources (see ../shared/TOOLCHAIN.md).
config = configparser.ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
min_python = cfg['min_python']
console_scripts = cfg.get('console_scripts', '').split()

setup(
    name=cfg['lib_name'],
    version=cfg['version'],
    description=cfg['description'],
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    author=cfg['author'], author_email=cfg['author_email'],
    license='Apache Software License 2.0',
    url=cfg['git_url'],
    packages=find_packages(include=['t2ilab', 't2ilab.*']),
    include_package_data=True,
    package_data={'t2ilab': ['weights/*.pt']},
    install_requires=requirements,
    extras_require={'dev': dev_requirements},
    python_requires='>=' + min_python,
    zip_safe=False,
    entry_points={'console_scripts': console_scripts, 'nbdev': [f'{cfg["lib_path"]}={cfg["lib_path"]}._modidx:d']},
)
