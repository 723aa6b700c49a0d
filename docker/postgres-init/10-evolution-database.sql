-- For the "evolution" profile of docker-compose.yml: Evolution API keeps its own data in its own database.
CREATE DATABASE evolution;
